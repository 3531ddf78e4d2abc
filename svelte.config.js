import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** Shared by vite-plugin-svelte and svelte-check. */
export default {
  preprocess: vitePreprocess(),
};
