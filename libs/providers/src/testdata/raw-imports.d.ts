// Vite's `?raw` suffix imports a fixture file as text (no fs access in this pure lib's tests).
declare module '*?raw' {
  const content: string;
  export default content;
}
