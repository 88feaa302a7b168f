"""Tagging: is an article about Russia–Iran cooperation, and in which domains, with the evidence for each tag.

The modules, in the order an article meets them:
- `lexicon`: tokens, dictionary forms and multi-word term matching for English, Russian and Persian;
- `rules`: the rule reading of an article (sentences, how each relates Russia and Iran, relevance, the rules'
  topic hits) from the taxonomy file's lexicons;
- `features`: what the learned model sees of each sentence, read off the rules' analysis;
- `model`: the learned topic model and its artefact; `training`: how `newsmon train` builds it from the corpus;
- `tagger`: the tagger the pipeline uses (rules for relevance, the model for topics).
"""

from pipeline.tagging.model import ModelError, TaggerModel, load_model
from pipeline.tagging.results import EntityMention, Evidence, TagResult, TopicTag
from pipeline.tagging.rules import RuleTagger
from pipeline.tagging.tagger import Tagger, default_model_path, load_tagger

__all__ = [
    "EntityMention",
    "Evidence",
    "ModelError",
    "RuleTagger",
    "TagResult",
    "Tagger",
    "TaggerModel",
    "TopicTag",
    "default_model_path",
    "load_model",
    "load_tagger",
]
