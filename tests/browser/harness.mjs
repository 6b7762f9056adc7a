// Page side of the browser tests: records CSP violations, runs the page's
// check and publishes the outcome on window for browser.test.mjs:
//   window.__done        true once finished
//   window.__result      the check's return value (plain data)
//   window.__error       'Name: message\nstack' if it threw
//   window.__errorCode   its AttnscopeError code, if any
//   window.__violations  every 'securitypolicyviolation' seen by the document
const violations = [];
window.__violations = violations;
document.addEventListener('securitypolicyviolation', (e) => {
  violations.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
});

/** Float32 data as its bit patterns, so nothing is lost on the way to Node. */
export function bitsOf(f32) {
  return Array.from(new Uint32Array(f32.buffer, f32.byteOffset, f32.length));
}

/** A runScenarios() result ({ name: { key: number[] } }) as bit patterns. */
export function toBits(results) {
  const out = {};
  for (const [name, arrays] of Object.entries(results)) {
    out[name] = {};
    for (const [key, values] of Object.entries(arrays)) out[name][key] = bitsOf(new Float32Array(values));
  }
  return out;
}

/** The error of `fn()` (sync throw or rejection) as plain data, or null if it succeeded. */
export async function errorOf(fn, ErrorClass) {
  try {
    await fn();
    return null;
  } catch (err) {
    return {
      name: err?.name,
      code: err?.code,
      message: String(err?.message ?? err),
      isAttnscopeError: ErrorClass ? err instanceof ErrorClass : undefined,
    };
  }
}

export const params = new URLSearchParams(location.search);

export async function report(check) {
  const status = document.getElementById('status');
  try {
    window.__result = await check();
    if (status) status.textContent = 'done';
  } catch (err) {
    const head = `${err?.name ?? 'Error'}: ${err?.message ?? String(err)}`;
    const stack = String(err?.stack ?? '');
    window.__error = stack.startsWith(head) ? stack : `${head}\n${stack}`;
    window.__errorCode = err?.code;
    if (status) status.textContent = `failed: ${err?.message ?? err}`;
  } finally {
    window.__done = true;
  }
}
