/** A Kemendagri code at any level: `31`, `31.71`, `31.71.01` or `31.71.01.1001`. */
export const REGION_CODE = /^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$/;
