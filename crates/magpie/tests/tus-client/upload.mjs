// Uploads a file to Magpie with tus-js-client, cutting the connection in the middle and then
// resuming with a fresh client from the server's offset, as an app restarted mid-upload would.
// Usage: node upload.mjs BASE_URL TOKEN FILE
// Prints one JSON line: {"url": ..., "resumedFrom": <offset the second client started at>}.
import { readFileSync } from "node:fs";
import * as tus from "tus-js-client";

const [base, token, path] = process.argv.slice(2);
const data = readFileSync(path);
const common = {
  endpoint: `${base}/v1/uploads`,
  headers: { Authorization: `Bearer ${token}` },
  chunkSize: 64 * 1024,
  metadata: { filename: "tus-js-client.bin", filetype: "application/octet-stream" },
  retryDelays: [],
};

// First client: stop after the second chunk is acknowledged.
const firstUrl = await new Promise((resolve, reject) => {
  const upload = new tus.Upload(data, {
    ...common,
    onChunkComplete: (_chunk, accepted) => {
      if (accepted >= 2 * common.chunkSize) {
        upload.abort(false).then(() => resolve(upload.url), reject);
      }
    },
    onSuccess: () => reject(new Error("finished before the cut")),
    onError: reject,
  });
  upload.start();
});

// Second client: knows only the URL, asks the server where to resume, and finishes.
let resumedFrom = null;
let upload2Url = null;
await new Promise((resolve, reject) => {
  const upload = new tus.Upload(data, {
    ...common,
    uploadUrl: firstUrl,
    // The first chunk this client sends starts where the server said the upload stood.
    onChunkComplete: (chunk, accepted) => {
      if (resumedFrom === null) resumedFrom = accepted - chunk;
    },
    onSuccess: () => {
      upload2Url = upload.url;
      resolve();
    },
    onError: reject,
  });
  upload.start();
}).then(() => {
  if (upload2Url !== firstUrl) throw new Error(`the second client made a new upload: ${upload2Url}`);
});
console.log(JSON.stringify({ url: firstUrl, resumedFrom }));
