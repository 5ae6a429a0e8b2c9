/** The model a user gets unless they choose another: OpenAI's CLIP ViT-B/32 in the transformers.js layout. */
export const DEFAULT_MODEL_ID = 'Xenova/clip-vit-base-patch32';
