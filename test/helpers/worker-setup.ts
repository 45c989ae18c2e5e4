// Runs in each test worker before each file. Node's own fetch must own the process's global
// dispatcher before any file imports the undici package: undici installs its Agent there when
// nobody has yet, and Node 20's built-in fetch, driving that newer Agent, rejects every
// request with a content-length header ("invalid content-length header"). With isolate: false
// the files after it in the same worker would inherit that. A data: URL sends nothing.
await fetch('data:,');
