// A Micropub endpoint as a host app would run it: micropub-express on
// express, with an IndieAuth-style token endpoint beside it that accepts
// one token (argv[2]) with the create scope. Every created document is kept
// and listed at GET /_documents (files as name and size); each create is
// answered 201 with the new post's Location. Prints {"port": N} when ready.
"use strict";
const express = require("express");
const micropub = require("micropub-express");

const token = process.argv[2];
const app = express();
const documents = [];
let base = "";

// What micropub-express asks to verify a bearer token (IndieAuth token endpoint).
app.get("/token", (req, res) => {
  if (req.get("authorization") !== "Bearer " + token) {
    return res.status(401).type("application/x-www-form-urlencoded").send("error=unauthorized");
  }
  res.type("application/x-www-form-urlencoded")
    .send("me=" + encodeURIComponent(base + "/") + "&scope=create");
});

app.use("/micropub", micropub({
  tokenReference: () => ({ me: base + "/", endpoint: base + "/token" }),
  handler: (doc) => {
    const files = {};
    for (const [kind, list] of Object.entries(doc.files || {})) {
      files[kind] = list.map((f) => ({ filename: f.filename, bytes: f.buffer.length }));
    }
    documents.push({ type: doc.type, properties: doc.properties, mp: doc.mp, files });
    return Promise.resolve({ url: base + "/posts/" + documents.length });
  },
  logger: { debug() {}, info() {}, warn() {}, error() {} },
}));

app.get("/_documents", (req, res) => res.json(documents));

const server = app.listen(0, "127.0.0.1", () => {
  const port = server.address().port;
  base = "http://127.0.0.1:" + port;
  process.stdout.write(JSON.stringify({ port }) + "\n");
});
