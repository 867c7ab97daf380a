import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";

/**
 * Hono's `bodyLimit`, except that a request whose `Content-Length` states its size (and is not
 * chunked) is judged by that header alone, as Hono's does too, but without first reading
 * `request.body` to ask whether there is one: in workerd that read builds the body's stream, about
 * 0.2 ms of CPU on every request in the Worker's profile (bench/PROFILE.md). Bodies of unstated
 * length are still counted as they arrive.
 */
export function limitedBody(options: {
  maxSize: number;
  onError: (c: Context) => Response | Promise<Response>;
}): MiddlewareHandler {
  const counted = bodyLimit(options);
  return async (c, next) => {
    const length = c.req.header("content-length");
    if (length !== undefined && c.req.header("transfer-encoding") === undefined) {
      if (Number.parseInt(length, 10) > options.maxSize) return options.onError(c);
      await next();
      return;
    }
    return counted(c, next);
  };
}
