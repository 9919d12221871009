/**
 * Field tags (field number << 3 | wire type) of the OTLP logs messages the encoders write,
 * spec sheet F.4. One list, so the encoders cannot disagree on a field.
 */
export const T_RESOURCE_LOGS = 0x0a;
export const T_RL_RESOURCE = 0x0a;
export const T_RL_SCOPE_LOGS = 0x12;
export const T_SL_SCOPE = 0x0a;
export const T_SL_RECORD = 0x12;
export const T_RESOURCE_ATTR = 0x0a;
export const T_LR_TIME = 0x09;
export const T_LR_SEVERITY = 0x10;
export const T_LR_SEVERITY_TEXT = 0x1a;
export const T_LR_BODY = 0x2a;
export const T_LR_ATTR = 0x32;
export const T_LR_OBSERVED = 0x59;
export const T_KV_KEY = 0x0a;
export const T_KV_VALUE = 0x12;
export const T_AV_STRING = 0x0a;
export const T_AV_BOOL = 0x10;
export const T_AV_INT = 0x18;
export const T_AV_DOUBLE = 0x21;
export const T_AV_ARRAY = 0x2a;
export const T_ARRAY_VALUE = 0x0a;
