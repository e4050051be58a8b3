"""mmzoo plugin: audio-visual matching of spoken captions and images (work in progress, issue 17).

The building blocks are here and tested: DAVEnet's audio front end (``frontend.py``), the audio
encoders DAVEnet, ResDAVEnet and SoundNet and the image grid encoders (``encoders.py``), and the
matchmap with its SISA / MISA / SIMA similarities (``matchmap.py``). The trained matcher, its recipe
(``mmzoo train avmatch``) and its model id come next; until then the plugin registers no model.
"""
