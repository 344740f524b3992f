import { defineConfig } from "vite";

// Built offline into ui/dist, which tauri.conf.json's frontendDist embeds.
export default defineConfig({
  base: "./",
  clearScreen: false,
  build: { outDir: "dist", emptyOutDir: true, target: "safari15", sourcemap: false },
  test: { include: ["test/**/*.test.ts"], environment: "node" },
});
