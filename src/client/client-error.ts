/** A failure the CLI reports in one line, with the exit code it maps to (1 failed, 2 usage/config/auth). */
export class ClientError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'ClientError';
  }
}
