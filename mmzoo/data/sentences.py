"""Fixed English sentences for measuring speech synthesis (``mmzoo eval tts``).

``HELD_OUT`` must never enter a TTS training corpus made by mmzoo: half describe Shapes scenes in
the words of the Shapes captions (the domain a Shapes-trained voice knows), half are everyday
sentences written for mmzoo. No digits: each is spoken as written.
"""

SHAPES = (
    "A small red circle sits above a large blue square.",
    "There are two green triangles on the right.",
    "A yellow star is to the left of a purple diamond.",
    "The picture shows an orange hexagon and a pink cross.",
    "Three brown circles are lined up in the middle.",
    "A large green star is below a small yellow circle.",
    "There is one blue triangle on a light background.",
    "A pink square and a red diamond are next to each other.",
    "The purple hexagon is above the orange star.",
    "Four shapes are scattered across the image.",
    "A small brown cross is in the top left corner.",
    "The large yellow square is on the left of the blue circle.",
    "There are no stars in this picture.",
    "A red triangle points up beside a green hexagon.",
    "Two small pink circles are near the bottom.",
    "An orange diamond is to the right of a purple cross.",
    "The blue star is bigger than the yellow triangle.",
    "A green square sits below a brown diamond.",
    "There is a large red hexagon in the middle of the picture.",
    "Five shapes are drawn on a light gradient background.",
    "A purple circle is next to a small orange square.",
    "The pink star is above the large green cross.",
    "One yellow hexagon and one blue diamond are shown.",
    "A brown triangle is on the right of a red square.",
    "The small green circle is below the purple star.",
)
EVERYDAY = (
    "Please call Stella and ask her to bring three red apples.",
    "The train to the coast leaves a little after nine in the morning.",
    "We walked along the river until the sun went down.",
    "Could you close the window before it starts to rain?",
    "The library opens early on weekdays and late on Sundays.",
    "She painted the fence white and the door a deep green.",
    "My brother keeps his bicycle in the garden shed.",
    "The soup tastes better with a pinch of salt and pepper.",
    "A cold wind blew across the empty parking lot.",
    "Remember to water the plants while I am away.",
    "The children laughed as the puppy chased its tail.",
    "He wrote a long letter to his grandmother in Spain.",
    "Turn left at the bakery and the museum is on your right.",
    "The meeting was moved to Thursday afternoon.",
    "Fresh bread and warm coffee make a good breakfast.",
    "The old clock in the hall stopped at midnight.",
    "Our neighbors are planting roses along the wall.",
    "The pilot announced that we would land in twenty minutes.",
    "Keep the receipt in case you need to return the shoes.",
    "A small boat drifted slowly toward the harbor.",
    "The teacher asked everyone to read the first chapter.",
    "It was so quiet that we could hear the birds singing.",
    "Put the milk back in the fridge when you are done.",
    "The concert ended with a song everybody knew.",
    "They found a quiet table in the corner of the cafe.",
)
HELD_OUT = SHAPES + EVERYDAY
