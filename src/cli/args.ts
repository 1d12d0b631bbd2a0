/** `--name value` pairs after the command words; flags without a value are an error. */
export function parseOptions(args: string[], allowed: readonly string[]): Record<string, string> {
  const options: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i];
    const value = args[i + 1];
    if (!flag.startsWith('--') || !allowed.includes(flag.slice(2))) {
      throw new UsageError(`unknown option ${flag}`);
    }
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    options[flag.slice(2)] = value;
  }
  return options;
}

export class UsageError extends Error {}
