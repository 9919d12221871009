export async function run(_argv: string[]): Promise<number> {
  throw new Error('parse is not built yet');
}
