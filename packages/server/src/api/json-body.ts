import { errorCodes, type FastifyInstance } from 'fastify';
import { parseJson } from '../publish/payload-json.js';

/**
 * Parses `application/json` bodies with `parseJson` in place of Fastify's parser, which rounds
 * numbers a double cannot hold and refuses `__proto__` and `constructor` keys outright. Those keys
 * are plain data here: `JSON.parse` makes them own properties, every route but publish refuses
 * unknown fields, and a payload is only validated and serialized, never merged into another object.
 * Syntax errors keep Fastify's codes, so `error-handler.ts` still answers them.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  app.addContentTypeParser<string>('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body.length === 0) {
      done(new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY(), undefined);
      return;
    }
    let value: unknown;
    try {
      value = parseJson(body);
    } catch (error) {
      done(error instanceof SyntaxError ? new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY() : (error as Error), undefined);
      return;
    }
    done(null, value);
  });
}
