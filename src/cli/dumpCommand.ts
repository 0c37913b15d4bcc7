// STUB: replaced by the py-spy feature.
export async function runDumpCommand(_args: string[]): Promise<number> {
  process.stderr.write('backend-hang dump: not implemented yet\n');
  return 2;
}
