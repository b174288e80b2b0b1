/** Lets Node exit while `timer` is pending (browsers' timers are plain numbers: nothing to do there). */
export function unrefTimer(timer: ReturnType<typeof setTimeout> | ReturnType<typeof setInterval>): void {
  (timer as { unref?: () => void }).unref?.();
}
