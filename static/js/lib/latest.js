// Run an async task so that at most one call is in flight and only the newest
// request waits: edits made while a request runs collapse into one follow-up.
// Pure (no DOM): tested with `node --test`.

export function latestOnly(task) {
  let running = false;
  let pending = null; // {args, resolve, reject} of the newest call waiting to run

  async function pump(args) {
    running = true;
    try {
      return await task(...args);
    } finally {
      running = false;
      if (pending) {
        const next = pending;
        pending = null;
        pump(next.args).then(next.resolve, next.reject);
      }
    }
  }

  return function submit(...args) {
    if (!running) return pump(args);
    if (pending) pending.resolve(undefined); // superseded: its caller gets nothing
    return new Promise((resolve, reject) => { pending = { args, resolve, reject }; });
  };
}

// latestOnly, and an answer that arrives after a newer call was made is dropped too (its
// caller gets undefined): a view that can be asked again shows only the newest request's.
export function newestWins(task) {
  let latest = 0;
  const run = latestOnly(task);
  return async (...args) => {
    const mine = ++latest;
    try {
      const result = await run(...args);
      return mine === latest ? result : undefined;
    } catch (err) {
      if (mine === latest) throw err;
      return undefined;
    }
  };
}
