/** An error a handler throws to answer with a status (the app turns it into a JSON reply). */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
