/** Exit codes shared by every command: 0 clean, 1 findings at or above the threshold, 2 unusable input. */
export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_INPUT = 2;
