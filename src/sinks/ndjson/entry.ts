// PLACEHOLDER: the ndjson sink registers itself here.
export {};
