/**
 * The time (epoch ms) by which every delivery retry and wait must end, for a front that runs
 * against a clock. The Lambda handler sets it for each invocation: a warm container runs one
 * invocation at a time while its sinks live across invocations, so the deadline cannot be a
 * setting the sinks are built with. Unset (never) everywhere else.
 */
let current = Number.POSITIVE_INFINITY;

export function setDeliveryDeadline(at: number | undefined): void {
  current = at ?? Number.POSITIVE_INFINITY;
}

export function deliveryDeadline(): number {
  return current;
}
