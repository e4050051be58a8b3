"""Metrics with the meaning they have in the papers, and the evaluation runner behind `mmzoo eval`.

Submodules (imported on use): ``retrieval`` (Recall@K, ranks), ``captioning`` (BLEU, METEOR,
ROUGE-L, CIDEr-D, SPICE), ``vqa`` (VQA accuracy), ``ocr`` (CER, WER), ``image`` (PSNR, SSIM, L1,
CLIPScore, manipulation precision, IS/FID) and ``runner`` (evaluate a model on a dataset).
"""
