// d3-geo-projection ships no type declarations (and there is no @types package); only what we use.
declare module 'd3-geo-projection' {
  import type { GeoProjection } from 'd3-geo';
  export function geoMollweide(): GeoProjection;
}
