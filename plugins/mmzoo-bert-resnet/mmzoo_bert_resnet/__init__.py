"""mmzoo plugin (in progress): a BERT + ResNet dual encoder for text<->image retrieval.

``model.py`` holds the dual encoder and its loading code: towers from Hugging Face hub ids (pinned
revisions) or local folders, checkpoints as safetensors + config. Models are registered with mmzoo
once the training recipe ships a trained checkpoint (see docs and the issue notes).
"""
