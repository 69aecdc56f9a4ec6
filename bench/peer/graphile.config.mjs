// PostGraphile for `make bench-peer` (bench/peer.py copies this file to var/peer/).
// The Amber preset as shipped, but with PgIndexBehaviorsPlugin off: it hides relations and
// conditions without a plain index (the exits of an enrollment have only a partial unique
// index), and the benchmark page needs the exit. No JWT, no row-level security: the read-only
// role `hmis_peer_reader` sees every row.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

export default {
  extends: [PostGraphileAmberPreset],
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [
    makePgService({
      connectionString: process.env.PEER_DATABASE_URL,
      schemas: ["public"],
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.PEER_PORT),
    graphiql: false,
    watch: false,
  },
  grafast: { explain: false },
};
