// IPv4 address arithmetic for Neutron's IPAM (neutron/ipam/utils.py, netaddr's IPNetwork and
// IPRange as Neutron uses them): parsing, a subnet's default allocation pools, pool checks.
// Pure: the use cases decide what to do with the answers.

/** The address as a number, or null when `s` is not a dotted quad. */
export function ipToInt(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return null;
  return o.reduce((a, x) => a * 256 + x, 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** An IPv4 network: first and last address (network and broadcast) and its prefix length. */
export interface Cidr {
  first: number;
  last: number;
  prefixlen: number;
  /** `a.b.c.d/n`, the network address (Neutron stores the cidr turned into a proper subnet). */
  text: string;
}

/** `10.0.0.5/24` → the network 10.0.0.0/24; null when not an IPv4 address with a prefix. */
export function parseCidr(s: string): Cidr | null {
  const [addr, bits, ...rest] = s.split('/');
  if (rest.length || bits === undefined || !/^\d{1,2}$/.test(bits) || Number(bits) > 32) return null;
  const ip = ipToInt(addr);
  if (ip === null) return null;
  const prefixlen = Number(bits);
  const size = 2 ** (32 - prefixlen);
  const first = ip - (ip % size);
  return { first, last: first + size - 1, prefixlen, text: `${intToIp(first)}/${prefixlen}` };
}

export interface Pool {
  start: string;
  end: string;
}

/** An address range as numbers. */
export interface Range {
  first: number;
  last: number;
}

/** netaddr's str(IPRange): `10.0.0.2-10.0.0.254`, the form Neutron's messages quote. */
export const rangeText = (r: Range) => `${intToIp(r.first)}-${intToIp(r.last)}`;

export const inCidr = (c: Cidr, ip: number) => ip >= c.first && ip <= c.last;

/** The addresses a port may hold (Neutron's check_subnet_ip): not the network, not the broadcast. */
export const hostAddress = (c: Cidr, ip: number) =>
  inCidr(c, ip) && (c.prefixlen >= 31 || (ip !== c.first && ip !== c.last));

/**
 * Neutron's generate_pools: the cidr without its network and broadcast addresses (all of a /31
 * or /32), split around the gateway when the gateway is inside.
 */
export function defaultPools(c: Cidr, gateway: string | null): Range[] {
  const small = c.prefixlen >= 31;
  const whole = { first: small ? c.first : c.first + 1, last: small ? c.last : c.last - 1 };
  const gw = gateway === null ? null : ipToInt(gateway);
  if (gw === null || gw < whole.first || gw > whole.last) return [whole];
  return [
    { first: whole.first, last: gw - 1 },
    { first: gw + 1, last: whole.last },
  ].filter((r) => r.first <= r.last);
}

export type PoolProblem =
  | { kind: 'invalid'; pool: Pool }
  | { kind: 'out-of-bounds'; range: Range }
  | { kind: 'overlap'; a: Range; b: Range };

/**
 * Neutron's validate_allocation_pools: each pool a valid range (start <= end, IPv4), inside the
 * cidr without its network and broadcast addresses, and no two overlapping.
 */
export function checkPools(c: Cidr, pools: Pool[]): { ranges: Range[] } | { problem: PoolProblem } {
  const ranges: Range[] = [];
  for (const p of pools) {
    const first = ipToInt(p.start);
    const last = ipToInt(p.end);
    if (first === null || last === null || first > last) return { problem: { kind: 'invalid', pool: p } };
    ranges.push({ first, last });
  }
  const low = c.prefixlen >= 31 ? c.first : c.first + 1;
  const high = c.prefixlen >= 31 ? c.last : c.last - 1;
  for (const r of ranges) if (r.first < low || r.last > high) return { problem: { kind: 'out-of-bounds', range: r } };
  const sorted = [...ranges].sort((x, y) => x.first - y.first);
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i].first <= sorted[i - 1].last) return { problem: { kind: 'overlap', a: sorted[i - 1], b: sorted[i] } };
  return { ranges };
}

/** The pool that holds `ip`, if any (Neutron's validate_gw_out_of_pools). */
export const poolHolding = (ranges: Range[], ip: number) => ranges.find((r) => ip >= r.first && ip <= r.last);

export const overlaps = (a: Cidr, b: Cidr) => a.first <= b.last && b.first <= a.last;

export const toPools = (ranges: Range[]): Pool[] =>
  ranges.map((r) => ({ start: intToIp(r.first), end: intToIp(r.last) }));
