/** The product version, reported by `totra --version`, `/healthz` and in `ChainOpened`. */
export const VERSION = '0.1.0';
