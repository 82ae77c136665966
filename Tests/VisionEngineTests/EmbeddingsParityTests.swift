import Foundation
import HubCache
import TestSupport
import Testing
import VisionCore
@testable import VisionEngine

/// Image–text embeddings (a tiny random CLIP and SigLIP in the community layout: transformers.js's
/// split export made with optimum, tools/fixtures/make_embedding_fixtures.py) against
/// transformers: the models' normalised features, their tokenizers' ids (CLIP's BPE, SigLIP's
/// SentencePiece behind SiglipTokenizer's canonicalisation, SigLIP 2's Gemma BPE with byte
/// fallback), the logit scale and bias, and the
/// zero-shot-image-classification pipeline (softmax for CLIP, sigmoid for SigLIP).
@Suite struct EmbeddingsParityTests {
    static let repo = "tests/clip-tiny"
    /// Each fixture model and its manifest. `siglip-tiny` is transformers.js's split export, whose text
    /// graph takes no attention mask: it is held to the pipeline's answers without the mask
    /// (`*_unmasked`); `siglip-tiny-exported` (the project's exporter, with the mask) to the pipeline's own;
    /// `siglip2-tiny` (SigLIP 2 at a fixed resolution: SiglipModel with the Gemma tokenizer, which
    /// returns no attention mask, so the split export computes what the pipeline does) to the pipeline's own;
    /// `siglip2-naflex-tiny` (Siglip2Model from the project exporter: patches, mask and grids; its
    /// texts lower-cased by Siglip2Tokenizer) to the pipeline's own.
    static let models = [("clip-tiny", "embeddings/manifest.json"), ("siglip-tiny", "embeddings/siglip-tiny.json"),
                         ("siglip-tiny-exported", "embeddings/siglip-tiny.json"), ("siglip2-tiny", "embeddings/siglip2-tiny.json"),
                         ("siglip2-naflex-tiny", "embeddings/siglip2-naflex-tiny.json")]

    /// The manifest key of what `model` must equal.
    static func key(_ base: String, _ model: String) -> String { model == "siglip-tiny" ? base + "_unmasked" : base }

    static func service() throws -> EmbeddingsService {
        let hub = try HubCacheBuilder.temporaryFolder("hub")
        for (name, _) in models {
            try HubCacheBuilder.place(folder: FixtureFiles.root.appendingPathComponent("models/" + name), repoID: "tests/" + name, in: hub)
        }
        return EmbeddingsService(context: try EngineFixture.context(families: [EmbeddingsFamily.erasedLoader], hubCache: hub))
    }

    static func manifest(_ path: String = "embeddings/manifest.json") throws -> [String: Any] { try FixtureFiles.json(path) }

    static func image(_ name: String) throws -> ImageInput {
        ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/" + name)))
    }

    static func cosine(_ a: [Float], _ b: [Double]) -> Double {
        let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * $1.1 }
        let na = sqrt(a.reduce(0.0) { $0 + Double($1 * $1) }), nb = sqrt(b.reduce(0.0) { $0 + $1 * $1 })
        return dot / (na * nb)
    }

    @Test(arguments: EmbeddingsParityTests.models)
    func embeddingsEqualTransformers(model: String, manifestPath: String) async throws {
        let service = try Self.service()
        let manifest = try Self.manifest(manifestPath)
        let repo = "tests/" + model
        let images = manifest["images"] as! [[String: Any]], texts = manifest["texts"] as! [[String: Any]]
        let response = try await service.embed(EmbeddingsRequest(
            images: try images.map { try Self.image($0["image"] as! String) }, texts: texts.map { $0["text"] as! String },
            modelID: repo))
        #expect(response.imageEmbeddings.count == 3 && response.textEmbeddings.count == 8)
        for (i, (got, want)) in zip(response.imageEmbeddings + response.textEmbeddings, images + texts).enumerated() {
            let cosine = Self.cosine(got, want[i < images.count ? "embedding" : Self.key("embedding", model)] as! [Double])
            #expect(cosine >= 0.9999, "\(want["image"] ?? want["text"]!): cosine \(cosine)")
            #expect(abs(sqrt(got.reduce(0) { $0 + $1 * $1 }) - 1) < 1e-5)
        }
        #expect(abs(Double(try #require(response.logitScale)) - (manifest["logit_scale"] as! Double)) < 1e-3)
        #expect(response.logitBias.map(Double.init) == manifest["logit_bias"] as? Double)
        // Texts alone (a search query) and images alone.
        let query = try await service.embed(EmbeddingsRequest(texts: [texts[0]["text"] as! String], modelID: repo))
        #expect(query.imageEmbeddings.isEmpty && query.textEmbeddings == [response.textEmbeddings[0]])
        let pictures = try await service.embed(EmbeddingsRequest(images: [try Self.image(images[1]["image"] as! String)],
                                                                modelID: repo))
        #expect(pictures.textEmbeddings.isEmpty && pictures.imageEmbeddings.count == 1)
        #expect(Self.cosine(pictures.imageEmbeddings[0], images[1]["embedding"] as! [Double]) >= 0.9999)
    }

    @Test(arguments: EmbeddingsParityTests.models)
    func tokensEqualTheTokenizers(model name: String, manifestPath: String) async throws {
        let service = try Self.service()
        let model = try await service.context.models.model(EmbeddingsFamily.loader, ModelSelection(modelID: "tests/" + name))
        let texts = try Self.manifest(manifestPath)["texts"] as! [[String: Any]]
        for text in texts {
            // SigLIP's rows are padded to the model's length: compare up to the end token.
            let want = text["ids"] as! [Int]
            let got = try model.tokens([text["text"] as! String])[0]
            #expect(want.starts(with: got) && want.dropFirst(got.count).allSatisfy { $0 == model.tokenizer?.padID },
                    "\(text["text"]!): \(got) vs \(want)")
        }
        #expect(texts.count == 8)
    }

    @Test(arguments: EmbeddingsParityTests.models)
    func zeroShotScoresEqualThePipeline(model: String, manifestPath: String) async throws {
        let service = try Self.service()
        let manifest = try Self.manifest(manifestPath)
        let labels = manifest["labels"] as! [String]
        var checked = 0
        for entry in manifest["images"] as! [[String: Any]] {
            for (base, candidates, template) in [("zero_shot", labels, "This is a photo of {}."),
                                                 ("zero_shot_template", Array(labels.prefix(3)), "a picture of {}")] {
                let key = Self.key(base, model)
                let answer = try await service.zeroShot(ZeroShotClassificationRequest(
                    image: try Self.image(entry["image"] as! String), candidateLabels: candidates,
                    hypothesisTemplate: template, modelID: "tests/" + model))
                let want = entry[key] as! [[String: Any]]
                #expect(answer.results[0].map(\.label) == want.map { $0["label"] as! String }, "\(entry["image"]!) \(key)")
                for (got, w) in zip(answer.results[0], want) {
                    #expect(abs(Double(got.score) - (w["score"] as! Double)) <= 1e-3, "\(entry["image"]!) \(got.label)")
                    checked += 1
                }
                #expect(String(decoding: answer.json(), as: UTF8.self).hasPrefix("[{\"label\""))
            }
        }
        #expect(checked == 21)
    }

    @Test func imageFeaturesAreTheVisionGraphsEmbedding() async throws {
        let service = try Self.service()
        let entry = (try Self.manifest()["images"] as! [[String: Any]])[0]
        let body = #"{"inputs":"\#(Data(try FixtureFiles.bytes("preprocessing/" + (entry["image"] as! String))).base64EncodedString())","model_id":"\#(Self.repo)"}"#
        let request = try JSONDecoder().decode(ImageFeatureRequest.self, from: Data(body.utf8))
        let answer = try await service.features(request)
        #expect(answer.features.count == 1 && Self.cosine(answer.features[0], entry["embedding"] as! [Double]) >= 0.9999)
        let json = try JSONSerialization.jsonObject(with: Data(answer.json())) as! [[Double]]
        #expect(json.count == 1 && json[0].count == answer.features[0].count)
    }

    /// The logit scale from the project exporter's marker, from the combined graph, or none (zero-shot
    /// then refused by name; embeddings still served).
    @Test func logitScaleSources() async throws {
        let hub = try HubCacheBuilder.temporaryFolder("hub")
        let folder = FixtureFiles.root.appendingPathComponent("models/clip-tiny")
        let work = URL(fileURLWithPath: try HubCacheBuilder.temporaryFolder("copies"))
        for (name, marker) in [("marked", #"{"family":"embeddings","logit_scale":2.5,"logit_bias":-1.5}"#), ("bare", nil)] {
            let copy = work.appendingPathComponent(name)
            try FileManager.default.copyItem(at: folder, to: copy)
            try FileManager.default.removeItem(at: copy.appendingPathComponent("onnx/model.onnx"))
            if let marker { try Data(marker.utf8).write(to: copy.appendingPathComponent("vision_models_api.json")) }
            try HubCacheBuilder.place(folder: copy, repoID: "tests/clip-" + name, in: hub)
        }
        try HubCacheBuilder.place(folder: folder, repoID: Self.repo, in: hub)
        let service = EmbeddingsService(context: try EngineFixture.context(families: [EmbeddingsFamily.erasedLoader], hubCache: hub))
        func model(_ id: String) async throws -> EmbeddingsModel {
            try await service.context.models.model(EmbeddingsFamily.loader, ModelSelection(modelID: id))
        }
        #expect(abs(try #require(try await model(Self.repo).logitScale) - Float(exp(3.3))) < 1e-3)
        let marked = try await model("tests/clip-marked")
        #expect(abs(try #require(marked.logitScale) - Float(exp(2.5))) < 1e-4 && marked.logitBias == -1.5)
        #expect(try await model("tests/clip-bare").logitScale == nil)
        let image = try Self.image("small_37x53.png")
        let error = await #expect(throws: VisionError.self) {
            _ = try await service.zeroShot(ZeroShotClassificationRequest(image: image, candidateLabels: ["cat"], modelID: "tests/clip-bare"))
        }
        #expect(error?.category == .badRequest && error?.message.contains("no logit scale") == true)
        let vectors = try await service.embed(EmbeddingsRequest(images: [image], modelID: "tests/clip-bare"))
        #expect(vectors.imageEmbeddings.count == 1 && vectors.logitScale == nil)
    }

    /// A SigLIP 2 NaFlex processor over a vision graph that takes whole images (and the reverse) is
    /// refused at load by name, pointing at the exporter.
    @Test func naflexProcessorAndGraphMustAgree() async throws {
        let hub = try HubCacheBuilder.temporaryFolder("hub")
        let work = URL(fileURLWithPath: try HubCacheBuilder.temporaryFolder("copies"))
        let naflexProcessor = #"{"image_processor":{"image_processor_type":"Siglip2ImageProcessor","max_num_patches":24,"patch_size":8}}"#
        let fixedProcessor = #"{"image_processor":{"image_processor_type":"SiglipImageProcessor","size":{"height":32,"width":32}}}"#
        for (name, source, processor) in [("whole-images", "siglip-tiny", naflexProcessor), ("no-budget", "siglip2-naflex-tiny", fixedProcessor)] {
            let copy = work.appendingPathComponent(name)
            try FileManager.default.copyItem(at: FixtureFiles.root.appendingPathComponent("models/" + source), to: copy)
            try Data(processor.utf8).write(to: copy.appendingPathComponent("processor_config.json"))
            try HubCacheBuilder.place(folder: copy, repoID: "tests/" + name, in: hub)
        }
        let service = EmbeddingsService(context: try EngineFixture.context(families: [EmbeddingsFamily.erasedLoader], hubCache: hub))
        for (name, message) in [("whole-images", "takes whole images"), ("no-budget", "no patch budget")] {
            let error = await #expect(throws: VisionError.self) {
                _ = try await service.embed(EmbeddingsRequest(texts: ["a cat"], modelID: "tests/" + name))
            }
            #expect(error?.message.contains(message) == true && error?.category != .internalFailure, "\(String(describing: error))")
        }
    }

    @Test(arguments: [
        (#"{"texts":[]}"#, "give images, texts, or both"),
        (#"{"inputs":"AAAA","parameters":{"candidate_labels":[]}}"#, "at least one label"),
        (#"{"inputs":"AAAA","parameters":{"candidate_labels":["a"],"hypothesis_template":"no slot"}}"#, "must contain {}"),
    ])
    func refusedByRule(body: String, message: String) throws {
        let error = #expect(throws: VisionError.self) {
            if body.contains("texts") {
                try JSONDecoder().decode(EmbeddingsRequest.self, from: Data(body.utf8)).validate(limits: EmbeddingsLimits())
            } else {
                try JSONDecoder().decode(ZeroShotClassificationRequest.self, from: Data(body.utf8)).validate(limits: EmbeddingsLimits())
            }
        }
        #expect(error?.category == .badRequest && error?.message.contains(message) == true, "\(String(describing: error))")
    }
}
