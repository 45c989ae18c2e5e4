// The bytes between a command and its keychain agent: a unix socket, either as a
// net.Socket or as the pipe handle net.Socket itself wraps. Loading and first use of
// net and its streams cost several times what the handle does, a large part of what a
// keychain read adds to Node's start-up (docs/performance.md). The handle is reached
// through process.binding, which Node keeps for its allowlisted bindings but documents
// as deprecated, and its calls are not a public API, so it is used only where it was
// tested (Node 20, 22, 24, 26; not Windows), never where process.binding would print a warning
// (--pending-deprecation in any of its forms) or is refused (the permission model).
// Elsewhere: net.Socket.
import type { Socket } from 'node:net';
import { builtin } from './builtin.js';

/** What the agent client needs of a connection. */
export interface Link {
  write(line: string): void;
  /** Closes at once; 'close' follows. */
  destroy(): void;
}

export interface LinkEvents {
  /** Connected: the link no longer keeps the process alive (the callers' timers do). */
  connect(): void;
  /** Connecting failed; `code` is ENOENT, ECONNREFUSED, ... */
  error(err: NodeJS.ErrnoException): void;
  /** Bytes as they come: valid only during the call. */
  data(bytes: Buffer): void;
  /** The connection ended (either side), after connect. */
  close(): void;
}

/** Node majors this file was tested on: CI runs 20 and 26; 22 and 24 were run before. */
const TESTED_MAJORS = [20, 22, 24, 26];

/** `pipe`: the handle's bindings, or null for net.Socket. */
export function openLink(path: string, on: LinkEvents, pipe = pipeBindings()): Link {
  return pipe ? pipeLink(pipe, path, on) : socketLink(path, on);
}

interface PipeBindings {
  Pipe: new (type: number) => PipeHandle;
  PipeConnectWrap: new () => { oncomplete?: (status: number) => void; address?: string };
  WriteWrap: new () => WriteReq;
  SOCKET: number;
  state: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
}

interface PipeHandle {
  connect(req: object, path: string): number;
  readStart(): number;
  writeUtf8String(req: WriteReq, text: string): number;
  close(callback: () => void): void;
  unref(): void;
  /** Node aborts on a read with no function here: set before readStart, never unset. */
  onread: (arrayBuffer: ArrayBuffer) => void;
}

interface WriteReq {
  handle?: PipeHandle;
  oncomplete?: (status: number) => void;
}

/** Node's pipe handle where it is safe to use (see the top of this file), else null. */
export function pipeBindings(): PipeBindings | null {
  if (process.platform === 'win32' || !TESTED_MAJORS.includes(Number(process.versions.node.split('.')[0]))) return null;
  const binding = (process as unknown as { binding?: (name: string) => Record<string, unknown> }).binding;
  // However --pending-deprecation was given (flag, NODE_OPTIONS, _ for -, a config file,
  // NODE_PENDING_DEPRECATION=1), Node then swaps in util.deprecate's wrapper, which would
  // print DEP0111 (or throw it, with --throw-deprecation): look at what Node did, not at flags.
  if (typeof binding !== 'function' || binding.name !== 'binding') return null;
  try {
    const pipe = binding('pipe_wrap');
    const stream = binding('stream_wrap');
    const out = {
      Pipe: pipe.Pipe,
      PipeConnectWrap: pipe.PipeConnectWrap,
      WriteWrap: stream.WriteWrap,
      SOCKET: (pipe.constants as Record<string, unknown> | undefined)?.SOCKET,
      state: stream.streamBaseState,
      kReadBytesOrError: stream.kReadBytesOrError,
      kArrayBufferOffset: stream.kArrayBufferOffset,
    };
    const shaped =
      [out.Pipe, out.PipeConnectWrap, out.WriteWrap].every((f) => typeof f === 'function') &&
      [out.SOCKET, out.kReadBytesOrError, out.kArrayBufferOffset].every((n) => typeof n === 'number') &&
      out.state instanceof Int32Array;
    return shaped ? (out as PipeBindings) : null;
  } catch {
    return null; // refused (the permission model) or not what this file knows: net.Socket
  }
}

/** libuv's status codes are negative errnos: the same errors net.Socket gives. */
function uvError(status: number, syscall: string, path: string): NodeJS.ErrnoException {
  const code = builtin<typeof import('node:util')>('node:util').getSystemErrorName(status);
  return Object.assign(new Error(`${syscall} ${code} ${path}`), { errno: status, code, syscall, address: path });
}

function pipeLink(b: PipeBindings, path: string, on: LinkEvents): Link {
  const handle = new b.Pipe(b.SOCKET);
  let state: 'connecting' | 'open' | 'closed' = 'connecting';
  const close = () => {
    if (state === 'closed') return;
    const wasOpen = state === 'open';
    state = 'closed';
    handle.close(() => {
      if (wasOpen) on.close();
    });
  };
  const req = new b.PipeConnectWrap();
  req.address = path;
  req.oncomplete = (status) => {
    if (state === 'closed') return;
    if (status < 0) {
      close();
      return on.error(uvError(status, 'connect', path));
    }
    handle.onread = (arrayBuffer) => {
      const nread = b.state[b.kReadBytesOrError]!;
      if (nread > 0) on.data(Buffer.from(arrayBuffer, b.state[b.kArrayBufferOffset], nread));
      else if (nread < 0) close(); // end of stream or a read error: either way the agent is gone
    };
    const err = handle.readStart();
    if (err < 0) {
      close();
      return on.error(uvError(err, 'read', path));
    }
    state = 'open';
    handle.unref();
    on.connect();
  };
  const err = handle.connect(req, path);
  if (err < 0) {
    state = 'closed';
    handle.close(() => {});
    // Asynchronously, as net.Socket reports it: the caller has not kept the link yet.
    const error = uvError(err, 'connect', path);
    process.nextTick(() => on.error(error));
  }
  return {
    write(line) {
      if (state !== 'open') return; // a closed link fails what is pending through 'close'
      const w = new b.WriteWrap();
      w.handle = handle;
      w.oncomplete = (status) => {
        if (status < 0) close(); // Node holds a pending write request until it completes
      };
      if (handle.writeUtf8String(w, line) < 0) close();
    },
    destroy: close,
  };
}

function socketLink(path: string, on: LinkEvents): Link {
  let connected = false;
  // `onread` rather than 'data' events: it skips the Readable stream machinery.
  const socket: Socket = builtin<typeof import('node:net')>('node:net').connect({
    path,
    onread: {
      buffer: Buffer.allocUnsafe(64 * 1024),
      callback(nread: number, buf: Buffer) {
        on.data(buf.subarray(0, nread));
        return true;
      },
    },
  });
  socket.once('connect', () => {
    connected = true;
    socket.unref();
    on.connect();
  });
  socket.on('error', (err) => {
    if (!connected) on.error(err); // after connect, 'close' follows
  });
  socket.on('close', () => {
    if (connected) on.close();
  });
  return { write: (line) => void socket.write(line), destroy: () => void socket.destroy() };
}
