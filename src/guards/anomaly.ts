import { isAnomalyEnabled, setDetectAnomaly } from '../autograd/graph.js';

export { setDetectAnomaly, isAnomalyEnabled };

/**
 * Runs `fn` in anomaly mode and returns its result. Inside it every op checks its output, and
 * the first NaN or ±Inf born from finite inputs throws `NonFiniteError` with phase `'forward'`,
 * the op's name (`'log'`, `'exp'`, `'div'`, …) and the innermost module path; every node keeps
 * the stack of its creation, so that a backward pass inside `fn` that produces NaN/Inf throws
 * `NonFiniteError` with phase `'backward'` whose message and `creationStack` point at the line
 * of user code that created the forward op (PyTorch's `torch.autograd.detect_anomaly`, which
 * checks NaN only and only in backward).
 *
 * When `fn` returns a promise, anomaly mode stays on until it settles (and so also applies to
 * any other code that runs meanwhile). The previous mode is restored afterwards.
 *
 * @example
 * detectAnomaly(() => {
 *   const loss = model.forward(x).log().mean(); // throws here if log meets a 0
 *   loss.backward();                              // or here, naming the op and the module
 * });
 */
export function detectAnomaly<T>(fn: () => T): T {
  const previous = isAnomalyEnabled();
  setDetectAnomaly(true);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    setDetectAnomaly(previous);
    throw error;
  }
  if (isPromiseLike(result)) {
    const restore = (): void => setDetectAnomaly(previous);
    return Promise.resolve(result).finally(restore) as T;
  }
  setDetectAnomaly(previous);
  return result;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
