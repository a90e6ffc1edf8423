import { Validator } from '@seriousme/openapi-schema-validator';
import type { OpenAPIObject, OperationObject } from '@nestjs/swagger';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** What a document says of one operation's credentials. */
export type Documented = 'secured' | 'public' | 'partly-public';

export interface DocumentedOperation {
  method: string;
  path: string;
  operation: OperationObject;
  documented: Documented;
}

/** Every operation of a document, and whether it asks for credentials (its own security, else the document's). */
export function operationsOf(document: OpenAPIObject): DocumentedOperation[] {
  const operations: DocumentedOperation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const security = operation.security ?? document.security ?? [];
      const optional = security.some((requirement) => Object.keys(requirement).length === 0);
      const documented: Documented = security.length === 0 ? 'public' : optional ? 'partly-public' : 'secured';
      operations.push({ method, path, operation, documented });
    }
  }
  return operations;
}

/** The document checked against the OpenAPI 3.1 JSON schema; the validator's errors, if any. */
export async function openApiErrors(document: unknown): Promise<unknown[]> {
  const validator = new Validator();
  const result = await validator.validate(JSON.parse(JSON.stringify(document)) as Parameters<Validator['validate']>[0]);
  return result.valid ? [] : (result.errors as unknown[]);
}

export interface WalkedOperation {
  method: string;
  path: string;
  target: string;
  documented: Documented;
  status: number;
  challenge: string | null;
  body: unknown;
}

/**
 * Calls each operation of the document on the running app, every path parameter as `value`, with
 * the headers given (none: no credentials), and tells what it answered.
 */
export async function walk(url: string, document: OpenAPIObject, headers: Record<string, string> = {}, value = '1'): Promise<WalkedOperation[]> {
  const walked: WalkedOperation[] = [];
  for (const { method, path, documented, operation } of operationsOf(document)) {
    const target = path.replace(/\{[^}]+\}/g, encodeURIComponent(value));
    const withBody = operation.requestBody !== undefined || method === 'post' || method === 'put' || method === 'patch';
    const response = await fetch(`${url}${target}`, {
      method: method.toUpperCase(),
      headers: { accept: 'application/json', ...(withBody && { 'content-type': 'application/json' }), ...headers },
      ...(withBody && { body: '{}' }),
      redirect: 'manual',
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    walked.push({ method, path, target, documented, status: response.status, challenge: response.headers.get('www-authenticate'), body });
  }
  return walked;
}
