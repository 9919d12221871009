import type { AddressTable } from './addresses.js';
import type { RowSpread } from './row-spread.js';

/**
 * A batch's per-address geo results spread over its rows by the row spreader, a group of
 * columns at a time (places: country, city, coordinates; AS: number and organisation); each
 * column remembers the per-address values it was spread from.
 */

/**
 * How each output column's codes or values were spread over the rows: row i holds
 * `of[rowIds[i]]` (per distinct address). The store codes places and ASes per address, not per row.
 */
export const GEO_ADDRESS_VALUES = new WeakMap<
  Uint32Array | Float64Array,
  { readonly rowIds: Uint32Array; readonly of: Uint32Array | Float64Array }
>();

/** Per address table id: dictionary codes (0 = null) and numbers (NaN = null). */
export interface PlacesOf {
  readonly country: Uint32Array;
  readonly city: Uint32Array;
  readonly lat: Float64Array;
  readonly lon: Float64Array;
}

export interface AsOf {
  readonly asn: Float64Array;
  readonly org: Uint32Array;
}

export interface PlaceRows {
  readonly srcCountry: Uint32Array;
  readonly dstCountry: Uint32Array;
  readonly srcCity: Uint32Array;
  readonly dstCity: Uint32Array;
  readonly srcLat: Float64Array;
  readonly srcLon: Float64Array;
  readonly dstLat: Float64Array;
  readonly dstLon: Float64Array;
}

export interface AsRows {
  readonly srcAsn: Float64Array;
  readonly dstAsn: Float64Array;
  readonly srcOrg: Uint32Array;
  readonly dstOrg: Uint32Array;
}

/** The place columns of both endpoints, from one spread. */
export function spreadPlaces(spreader: RowSpread, of: PlacesOf, table: AddressTable, n: number): PlaceRows {
  const { srcIds: src, dstIds: dst } = table;
  const { numbers, codes } = spreader.spread(
    table,
    { numbers: [of.lat, of.lon], codes: [of.country, of.city] },
    n,
  );
  const [srcLat, dstLat, srcLon, dstLon] = numbers as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  const [srcCountry, dstCountry, srcCity, dstCity] = codes as [
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
  ];
  record(srcCountry, src, of.country);
  record(dstCountry, dst, of.country);
  record(srcCity, src, of.city);
  record(dstCity, dst, of.city);
  record(srcLat, src, of.lat);
  record(srcLon, src, of.lon);
  record(dstLat, dst, of.lat);
  record(dstLon, dst, of.lon);
  return { srcCountry, dstCountry, srcCity, dstCity, srcLat, srcLon, dstLat, dstLon };
}

/** The AS columns of both endpoints, from one spread. */
export function spreadAs(spreader: RowSpread, of: AsOf, table: AddressTable, n: number): AsRows {
  const { srcIds: src, dstIds: dst } = table;
  const { numbers, codes } = spreader.spread(table, { numbers: [of.asn], codes: [of.org] }, n);
  const [srcAsn, dstAsn] = numbers as [Float64Array, Float64Array];
  const [srcOrg, dstOrg] = codes as [Uint32Array, Uint32Array];
  record(srcAsn, src, of.asn);
  record(dstAsn, dst, of.asn);
  record(srcOrg, src, of.org);
  record(dstOrg, dst, of.org);
  return { srcAsn, dstAsn, srcOrg, dstOrg };
}

function record(rows: Uint32Array | Float64Array, rowIds: Uint32Array, of: Uint32Array | Float64Array): void {
  GEO_ADDRESS_VALUES.set(rows, { rowIds, of });
}
