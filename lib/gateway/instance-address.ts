import { networkInterfaces } from 'node:os';

/**
 * This instance's address as Kong reaches it: the first IPv4 address that is not loopback, as the
 * platform's Go registration picks it for the service's upstream target.
 */
export function instanceAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    const external = addresses?.find((address) => address.family === 'IPv4' && !address.internal);
    if (external) return external.address;
  }
  return undefined;
}
