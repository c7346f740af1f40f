/** Vite's `?inline` CSS imports: the stylesheet as a string, injected by main.ts. */
declare module '*.css?inline' {
  const css: string;
  export default css;
}
