/** A command-line value that must be a whole number of at least `min`; the error names the option and shows `usage`. */
export function wholeOption(name: string, value: string, min: number, usage: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min)
    throw new Error(`--${name} must be a whole number >= ${min}; got ${value}\n\n${usage}`);
  return n;
}
