"""The image processor settings of a repository folder, as transformers saves them."""
import json
import os


def image_processor_config(folder):
    """preprocessor_config.json, or transformers 5's processor_config.json (its image_processor part);
    {} when neither is there."""
    for name in ("preprocessor_config.json", "processor_config.json"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            with open(path) as f:
                config = json.load(f)
            return config.get("image_processor", config)
    return {}
