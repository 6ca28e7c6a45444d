// Verifies one Standard Webhooks delivery with the official library, as a
// host app does: stdin is {"secret", "headers", "body"}; prints the verified
// payload and exits 0, or prints the library's error and exits 1.
"use strict";
const { Webhook } = require("standardwebhooks");

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const { secret, headers, body } = JSON.parse(input);
  try {
    const payload = new Webhook(secret).verify(body, headers);
    process.stdout.write(JSON.stringify(payload));
    process.exit(0);
  } catch (e) {
    process.stderr.write(String(e && e.message ? e.message : e));
    process.exit(1);
  }
});
