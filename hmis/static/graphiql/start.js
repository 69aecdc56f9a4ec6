// Mounts GraphiQL (vendored beside this file) on /graphql. Loaded as a file, not inline, so
// the page's Content-Security-Policy can forbid inline scripts.
"use strict";

const DEFAULT_DOCUMENT = `# HMIS GraphQL API
#
# Every answer comes from what YOUR token may see:
# the same client looks different to each role.
#
# Put a token in the Headers pane below:
#
#     {"Authorization": "Bearer <token>"}
#
# \`make run\` prints a development token per role
# (or: .venv/bin/hmis dev-token --role ROLE).
# Without a token only public fields answer
# (organizations, privacyNotice, policy).
#
# Run: put the cursor in an operation, press Ctrl-Enter
# (or the run button and pick one). Ctrl-Space
# completes names; Docs (top left) lists every field.

# Any role: who am I, as the API sees my token?
query WhoAmI {
  me { subject roles isServiceAccount organization { name } }
}

# agency_staff of a shelter: your caseload. \`access\`
# says, per element group, whether you see it and why.
query ShelterCaseload {
  clients(first: 10) {
    totalCount
    edges { node {
      id
      identity { firstName lastName dob }
      enrollments(first: 3) { edges { node { entryDate exitDate project { name } } } }
      access { group visible basis }
    } }
  }
}

# agency_staff of a partner agency: the same search
# shows a client who refused sharing only as shared
# before the refusal (the as-of view).
query PartnerSearch {
  searchClients(input: { lastName: "a", first: 5 }) {
    client { id identity { firstName lastName } contact { phone } access { group visible basis } }
  }
}

# hmis_admin (the HMIS lead): organizations and
# the policy table.
query AdminOverview {
  organizations { id name }
  policy { role group basis }
}

# auditor: the audit log (who saw which groups of
# whom, when, why) and its hash chain.
query AuditTrail {
  auditEvents(first: 20) {
    edges { node { at actorSubject roles action groups purpose clientId } }
  }
  verifyAuditLog { ok checked message }
}

# researcher: pseudonymous rows under your research
# agreement (no identity; a research key).
query ResearchRows {
  clients(first: 10) { edges { node { id researchKey demographics { sex veteranStatus } } } }
}

# client: your own record, who accessed it, what was
# disclosed outside the HMIS. Printable: /my-record.html
query MyRecord {
  myRecord {
    client { identity { firstName lastName } contact { phone email } }
    accessHistory { organization { name } at action groups }
    disclosures { recipient legalBasis recordedAt }
  }
}

# aggregate_reader: de-identified counts (small cells
# suppressed), never a row about a person.
query PersonsServed {
  aggregateCounts(input: {
    measure: PERSONS_SERVED
    period: { unit: YEAR, start: "2025-01-01" }
    by: [PROJECT_TYPE]
  }) {
    rows { key cell { count suppressed } }
    total { count suppressed }
    suppressionRule
  }
}
`;

// The headers pane starts with this hint; the placeholder is never sent (so the schema still
// loads), a real token replaces it.
const HEADERS_HINT = '{\n  "Authorization": "Bearer <token>"\n}';

function withoutPlaceholder(url, init) {
  const headers = Object.assign({}, (init && init.headers) || {});
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() === "authorization" && String(headers[name]).includes("<token>")) {
      delete headers[name];
    }
  }
  return window.fetch(url, Object.assign({}, init, { headers: headers }));
}

const fetcher = GraphiQL.createFetcher({
  url: window.location.href.split("?")[0],
  fetch: withoutPlaceholder,
});

ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: DEFAULT_DOCUMENT,
    defaultHeaders: HEADERS_HINT,
    defaultEditorToolsVisibility: "headers",
    isHeadersEditorEnabled: true,
    // Bearer tokens are not kept in the browser's storage (shared county workstations).
    shouldPersistHeaders: false,
    inputValueDeprecation: true,
    plugins: [GraphiQLPluginExplorer.explorerPlugin()],
  }),
);
