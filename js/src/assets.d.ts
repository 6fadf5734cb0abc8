// CSS imported from TypeScript is extracted by esbuild to hitl_widgets/static/<name>.css.
declare module "*.css";
