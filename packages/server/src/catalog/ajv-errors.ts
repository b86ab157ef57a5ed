import type { ErrorObject } from 'ajv';

/**
 * Turns an ajv error into the field path Herald's errors name (`events[0]`, `payload.email`) and a
 * message that states the rule, so every validation failure reads the same way.
 */
export function ajvErrorField(error: Pick<ErrorObject, 'instancePath' | 'keyword' | 'params'>, root = ''): string {
  let path = root;
  for (const segment of error.instancePath.split('/').slice(1)) {
    const key = segment.replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(key) ? `[${key}]` : path === '' ? key : `.${key}`;
  }
  const child = childProperty(error);
  if (child !== undefined) path += path === '' ? child : `.${child}`;
  return path;
}

export function ajvErrorMessage(error: Pick<ErrorObject, 'instancePath' | 'keyword' | 'params' | 'message'>, field: string): string {
  const subject = field === '' ? 'the value' : field;
  if (error.keyword === 'required') return `${subject} is required (rule: required)`;
  if (error.keyword === 'additionalProperties') return `${subject} is not allowed (rule: additionalProperties)`;
  return `${subject} ${error.message ?? 'is invalid'} (rule: ${error.keyword})`;
}

/** `required` and `additionalProperties` errors point at the parent object; name the child instead. */
function childProperty(error: Pick<ErrorObject, 'keyword' | 'params'>): string | undefined {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') return params.missingProperty;
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return params.additionalProperty;
  }
  return undefined;
}
