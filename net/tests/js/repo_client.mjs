// A real automerge-repo client against a mergedb server (net/tests/
// automerge_repo_client.rs runs it). Arguments: the server's ws:// URL and
// the automerge: URL of a document mergedb made. Each step prints one line,
// which the Rust side checks; it exits only when killed or on a timeout.
import { createRequire } from "node:module";
// The packages live in $MERGEDB_JS_DIR, resolved as if imported from there.
const from = createRequire(`${process.env.MERGEDB_JS_DIR}/package.json`);
const pkg = (p) => from.resolve(`@automerge/${p}`);
const { Repo } = await import(pkg("automerge-repo"));
const { WebSocketClientAdapter } = await import(pkg("automerge-repo-network-websocket"));

const [server, theirs] = process.argv.slice(2);
setTimeout(() => {
  console.log("timeout");
  process.exit(2);
}, 60000);

const repo = new Repo({ network: [new WebSocketClientAdapter(server)] });

// mergedb -> JS: a document mergedb made, found by its URL.
const found = await repo.find(theirs);
console.log(`found ${JSON.stringify(found.doc())}`);

// JS -> mergedb: a new document, which the server takes and keeps.
const mine = repo.create({ exercise: "squat", sets: [5, 5, 3] });
console.log(`created ${mine.url}`);

// mergedb edits it while connected; the edit reaches us, and we answer.
const until = (ok) =>
  new Promise((resolve) => {
    const check = () => (ok() ? resolve() : setTimeout(check, 20));
    check();
  });
await until(() => mine.doc().reps === 8);
mine.change((d) => {
  d.notes = "felt good";
});
console.log(`saw ${JSON.stringify(mine.doc())}`);
