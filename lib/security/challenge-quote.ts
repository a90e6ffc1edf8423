/** A quoted-string of a `WWW-Authenticate` challenge: printable ASCII only, so that no header can be refused. */
export function quote(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').replace(/[\\"]/g, '\\$&');
}
