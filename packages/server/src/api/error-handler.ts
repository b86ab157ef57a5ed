import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ajvErrorField, ajvErrorMessage } from '../catalog/ajv-errors.js';
import { isStorageUnavailable } from '../store/storage-errors.js';
import {
  HeadersTooLargeError,
  HeraldError,
  InternalError,
  MalformedJsonError,
  NotFoundError,
  PayloadTooLargeError,
  RequestTimeoutError,
  ShuttingDownError,
  StorageUnavailableError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.js';

/**
 * The one place errors become responses: `{"error": {"code", "message", "field"?}}`. Herald's own
 * errors carry their code and status; Fastify's (schema validation, body parsing, and the URL errors
 * its router raises before any route runs, through `frameworkErrors`) are translated into the same
 * catalogue. 5xx answers say nothing about the cause; the log has it. A browser's page navigation to
 * a path nothing serves is the exception: `unknownPage` (the dashboard) answers it with a page.
 */
export function installErrorHandler(app: FastifyInstance, bodyLimit: number, unknownPage?: UnknownPageResponder): void {
  app.setErrorHandler(errorResponder(bodyLimit));
  app.setNotFoundHandler((request, reply) => {
    if (unknownPage?.(request, reply)) return reply;
    const path = request.url.split('?')[0]!;
    // A path of kilobytes is not echoed back whole.
    const shown = path.length > MAX_PATH_SHOWN ? `${path.slice(0, MAX_PATH_SHOWN)}…` : path;
    return reply.code(404).send(body(new NotFoundError(`no route ${request.method} ${shown}`)));
  });
}

const MAX_PATH_SHOWN = 200;

/** Answers a request nothing serves with a page of its own and returns true, or answers nothing and returns false. */
export type UnknownPageResponder = (request: FastifyRequest, reply: FastifyReply) => boolean;

/** Answers `error` in Herald's shape; also Fastify's `frameworkErrors` option, which takes no handler of its own. */
export function errorResponder(bodyLimit: number, unknownPage?: UnknownPageResponder) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    // A path that is not even valid percent-encoding matches no page either.
    if (error.code === 'FST_ERR_BAD_URL' && unknownPage?.(request, reply)) return reply;
    const herald = toHeraldError(error, bodyLimit);
    if (herald instanceof StorageUnavailableError) request.log.warn({ err: error }, 'the database cannot write; answered 503');
    else if (herald.status >= 500 && !(herald instanceof ShuttingDownError)) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(500).send(body(new InternalError('internal error; the server log has the details')));
    }
    if (herald instanceof UnauthorizedError) reply.header('www-authenticate', 'Bearer');
    if (herald instanceof UnsupportedMediaTypeError) reply.header('accept', 'application/json');
    return reply.code(herald.status).send(body(herald));
  };
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before Fastify sees a request (a
 * malformed request line or header, a bad Content-Length, a path and headers together over Node's
 * header limit, a request that never finished arriving) is answered in Herald's shape on the socket.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const herald = clientErrorOf(error);
    const text = JSON.stringify(body(herald));
    socket.write(
      `HTTP/1.1 ${herald.status} ${STATUS_CODES[herald.status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy(error);
}

function clientErrorOf(error: NodeJS.ErrnoException): HeraldError {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new RequestTimeoutError('the request did not arrive in full in time', { cause: error });
    case 'HPE_HEADER_OVERFLOW':
      return new HeadersTooLargeError(
        `the request line and headers together are larger than ${maxHeaderSize} bytes`,
        { cause: error },
      );
  }
  const field = error.code === undefined ? undefined : PARSER_ERROR_FIELDS[error.code];
  return new ValidationError(`the request is not valid HTTP/1.1 (${error.message})`, { ...(field ? { field } : {}), cause: error });
}

/** Node's parser errors that point at one part of the request. */
const PARSER_ERROR_FIELDS: Record<string, string> = {
  HPE_INVALID_CONTENT_LENGTH: 'content-length',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'content-length',
  HPE_INVALID_METHOD: 'method',
  HPE_INVALID_URL: 'path',
  HPE_INVALID_TRANSFER_ENCODING: 'transfer-encoding',
  HPE_INVALID_CHUNK_SIZE: 'transfer-encoding',
};

function body(error: HeraldError) {
  return {
    error: { code: error.code, message: error.message, ...(error.field !== undefined ? { field: error.field } : {}) },
  };
}

function toHeraldError(error: FastifyError, bodyLimit: number): HeraldError {
  if (error instanceof HeraldError) return error;
  if (isStorageUnavailable(error)) {
    return new StorageUnavailableError('the database cannot write just now (disk full, I/O error or read-only); nothing was stored, send it again', {
      cause: error,
    });
  }
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
