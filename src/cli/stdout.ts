/**
 * A closed pipe on stdout (`| head`) ends the command quietly with status 0, as other Unix tools
 * do; any other write error ends it with status 1 and a message.
 */
export function exitQuietlyOnClosedStdout(command: string): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') process.stderr.write(`flowlens ${command}: stdout: ${err.message}\n`);
    process.exit(err.code === 'EPIPE' ? 0 : 1);
  });
}
