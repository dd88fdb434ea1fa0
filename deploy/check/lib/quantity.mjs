// Kubernetes quantities ("2", "500m", "4Gi") and the agent's sizes ("50Gi", "10GB"), as numbers,
// so that a pod's limits can be compared with the agent's configuration.
const BINARY = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

// A Kubernetes resource.Quantity; NaN when it is not one.
export function parseQuantity(value) {
  if (typeof value === 'number') return value;
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))((?:[KMGTPE]i)|[numkMGTPE]|(?:[eE][+-]?\d+))?$/.exec(String(value));
  if (!m) return NaN;
  const number = Number(m[1]);
  const suffix = m[2] ?? '';
  if (/^[eE]/.test(suffix)) return number * 10 ** Number(suffix.slice(1));
  return number * (BINARY[suffix] ?? DECIMAL[suffix]);
}

// The agent's size grammar (docs/configuration.md): bytes with an optional unit, K/M/G/T/P powers
// of 1000, Ki/Mi/... powers of 1024, either optionally followed by B; lowercase units refused.
export function parseSize(value) {
  if (typeof value === 'number') return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:([kKMGTP])(i?))?B?\s*$/.exec(String(value));
  if (!m) return NaN;
  const number = Number(m[1]);
  if (!m[2]) return number;
  if (m[3]) return number * BINARY[`${m[2].toUpperCase()}i`];
  return number * DECIMAL[m[2].toUpperCase() === 'K' ? 'k' : m[2]];
}
