import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ajvErrorField, ajvErrorMessage } from '../catalog/ajv-errors.js';
import {
  HeraldError,
  InternalError,
  MalformedJsonError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.js';

/**
 * The one place errors become responses: `{"error": {"code", "message", "field"?}}`. Herald's own
 * errors carry their code and status; Fastify's (schema validation, body parsing, and the URL errors
 * its router raises before any route runs, through `frameworkErrors`) are translated into the same
 * catalogue. 5xx answers say nothing about the cause; the log has it.
 */
export function installErrorHandler(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler(errorResponder(bodyLimit));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    return reply.code(404).send(body(new NotFoundError(`no route ${request.method} ${path}`)));
  });
}

/** Answers `error` in Herald's shape; also Fastify's `frameworkErrors` option, which takes no handler of its own. */
export function errorResponder(bodyLimit: number) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const herald = toHeraldError(error, bodyLimit);
    if (herald.status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(500).send(body(new InternalError('internal error; the server log has the details')));
    }
    if (herald instanceof UnauthorizedError) reply.header('www-authenticate', 'Bearer');
    if (herald instanceof UnsupportedMediaTypeError) reply.header('accept', 'application/json');
    return reply.code(herald.status).send(body(herald));
  };
}

function body(error: HeraldError) {
  return {
    error: { code: error.code, message: error.message, ...(error.field !== undefined ? { field: error.field } : {}) },
  };
}

function toHeraldError(error: FastifyError, bodyLimit: number): HeraldError {
  if (error instanceof HeraldError) return error;
  const first = error.validation?.[0];
  if (first !== undefined) {
    const field = ajvErrorField(first) || (error.validationContext ?? 'body');
    return new ValidationError(ajvErrorMessage(first, field), { field, cause: error });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PayloadTooLargeError(`request body is larger than the ${bodyLimit}-byte limit`, { field: 'body', cause: error });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new MalformedJsonError('request body is not valid JSON', { field: 'body', cause: error });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new MalformedJsonError('request body is empty but Content-Type is application/json', { field: 'body', cause: error });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ValidationError('request body size does not match Content-Length', { field: 'content-length', cause: error });
    case 'FST_ERR_BAD_URL':
      return new ValidationError('the request path is not valid percent-encoding', { field: 'path', cause: error });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ValidationError('a segment of the request path is too long to be an id', { field: 'path', cause: error });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new UnsupportedMediaTypeError('request body must be JSON (Content-Type: application/json)', {
        field: 'content-type',
        cause: error,
      });
  }
  const status = error.statusCode ?? 500;
  if (status === 404) return new NotFoundError(error.message, { cause: error });
  if (status >= 400 && status < 500) return new ValidationError(error.message, { cause: error });
  return new InternalError(error.message, { cause: error });
}
