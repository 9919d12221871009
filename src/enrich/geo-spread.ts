import type { AddressTable } from './addresses.js';
import type { RowSpread } from './row-spread.js';

/**
 * A batch's per-address geo results spread over its rows by the row spreader, a group of
 * columns at a time (places: country, city, coordinates; AS: number and organisation). The
 * enricher records in each column the per-address values it was spread from (ColumnSpread).
 */

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
  return { srcCountry, dstCountry, srcCity, dstCity, srcLat, srcLon, dstLat, dstLon };
}

/** The AS columns of both endpoints, from one spread. */
export function spreadAs(spreader: RowSpread, of: AsOf, table: AddressTable, n: number): AsRows {
  const { numbers, codes } = spreader.spread(table, { numbers: [of.asn], codes: [of.org] }, n);
  const [srcAsn, dstAsn] = numbers as [Float64Array, Float64Array];
  const [srcOrg, dstOrg] = codes as [Uint32Array, Uint32Array];
  return { srcAsn, dstAsn, srcOrg, dstOrg };
}
