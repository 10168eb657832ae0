/** 1 MiB, as inspect_certificate: larger input is refused with input_too_large, unprocessed. */
export const MAX_ERROR_TEXT_BYTES = 1_048_576;
