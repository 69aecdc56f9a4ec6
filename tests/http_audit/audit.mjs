// Runs graphql-http's server audits (GraphQL over HTTP conformance) against the URL given as
// the first argument and prints one JSON line per audit: {id, name, status, reason}.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
const results = [];
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  results.push({ id: result.id, name: result.name, status: result.status, reason: result.reason });
}
console.log(JSON.stringify(results));
