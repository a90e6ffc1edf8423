import { DOMParser } from '@xmldom/xmldom';

/**
 * The posted Response, decoded and parsed strictly before node-saml sees it: a DOCTYPE (SAML
 * allows none: entity tricks, XXE) or anything the parser would only warn about is refused here,
 * so that no text of a posted document reaches the console through xmldom's default handler.
 * Returns the XML, or why it is refused.
 */
export function strictResponseXml(samlResponse: string): { xml: string } | { problem: string } {
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  if (/<!DOCTYPE/i.test(xml)) return { problem: 'a SAML Response must not carry a DOCTYPE' };
  const problems: string[] = [];
  const report = (message: string) => problems.push(message);
  try {
    const doc = new DOMParser({ errorHandler: { warning: report, error: report, fatalError: report } }).parseFromString(xml, 'text/xml');
    if (problems.length > 0 || !doc?.documentElement) return { problem: 'the SAML Response is not well-formed XML' };
  } catch {
    return { problem: 'the SAML Response is not well-formed XML' };
  }
  return { xml };
}

/** Parses XML that was already checked; undefined when there is none. Never prints. */
export function parseQuietly(xml: string | undefined): Document | undefined {
  if (!xml) return undefined;
  try {
    return new DOMParser({ errorHandler: { warning: () => {}, error: () => {}, fatalError: () => {} } }).parseFromString(xml, 'text/xml') as unknown as Document;
  } catch {
    return undefined;
  }
}
