// STUB: replaced by the diagnostics feature.
export async function runCheckCommand(_args: string[]): Promise<number> {
  process.stderr.write('backend-hang check: not implemented yet\n');
  return 2;
}
